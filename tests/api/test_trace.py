"""`trace` end to end: a catalog of licensed works and outputs that copy from them."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from creditline import catalog_api, trace_api
from creditline.cli.main import cli
from creditline.core.matching import SpanHit
from creditline.core.normalize import code_tokens
from creditline.model import Match, Work
from samples import INTERVALS_CODE

WORDS = ("river mountain lantern harbor meadow violet thunder copper willow falcon ember glacier orchard "
         "saffron canyon pebble quartz tundra marble horizon").split()
_RNG = random.Random(42)
LYRICS = "\n".join(" ".join(_RNG.choice(WORDS) for _ in range(9)) for _ in range(40))
CODE = INTERVALS_CODE


@pytest.fixture()
def catalog(tmp_path: Path) -> str:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "song.txt").write_text("SPDX-License-Identifier: CC-BY-SA-4.0\n" + LYRICS)
    (corpus / "intervals.py").write_text("# SPDX-License-Identifier: AGPL-3.0-only\n" + CODE)
    (corpus / "other.txt").write_text(" ".join(reversed(WORDS)) * 3)
    meta = tmp_path / "meta.csv"
    meta.write_text("path,title,author,source\nsong.txt,Lanterns,Ada Singer,https://example.org/lanterns\n")
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat, meta=str(meta))
    return cat


def test_copied_lyrics_are_found_with_license_and_credit(catalog: str, tmp_path: Path) -> None:
    copied = "\n".join(LYRICS.splitlines()[5:15]).upper().replace("\n", "  ")
    output = tmp_path / "answer.md"
    output.write_text("Sure! Here is a song:\n\n" + copied + "\n\nHope you like it.\n")
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert [m.source for m in result.matches] == ["song.txt"]
    m = result.matches[0]
    text = output.read_text()
    assert text[m.input_start:m.input_end].split()[0] in copied.split()[:3]
    assert m.license == "CC-BY-SA-4.0" and m.kind == "exact"
    assert any(o.share_alike == "strong" for o in m.obligations)
    assert m.credit_line.startswith('"Lanterns" by Ada Singer (https://example.org/lanterns), licensed under CC BY-SA 4.0')
    assert 7 <= m.source_start_line <= m.source_end_line <= 17


def test_renamed_code_is_found(catalog: str, tmp_path: Path) -> None:
    renamed = CODE.replace("intervals", "spans").replace("merged", "acc").replace("ordered", "srt")
    output = tmp_path / "gen.py"
    output.write_text(renamed)
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert {m.source for m in result.matches} == {"intervals.py"}
    assert {m.kind for m in result.matches} == {"renamed"}
    assert result.matches[0].license == "AGPL-3.0-only"


def test_unrelated_output_has_no_match(catalog: str, tmp_path: Path) -> None:
    output = tmp_path / "fresh.txt"
    output.write_text("A completely different text about databases, indexes and query planners. " * 5)
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert result.matches == () and result.covered == 0.0


def test_cli_trace_json_shape(catalog: str, tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text("\n".join(LYRICS.splitlines()[:12]))
    b = tmp_path / "b.txt"
    b.write_text("nothing to see here " * 10)
    result = CliRunner().invoke(cli, ["trace", "--catalog", catalog, "--format", "json", str(a), str(b)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [i["path"] for i in doc["inputs"]] == [str(a), str(b)]
    m = doc["inputs"][0]["matches"][0]
    assert m["source"] == "song.txt" and m["license"] == "CC-BY-SA-4.0"
    assert 0 <= m["input_start"] < m["input_end"] <= len(a.read_text())
    assert doc["inputs"][1]["matches"] == []


def test_missing_catalog_exits_3(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("x")
    result = CliRunner().invoke(cli, ["trace", "--catalog", str(tmp_path / "nope"), str(f)])
    assert result.exit_code == 3 and result.stderr.startswith("Error: ")


def test_code_pasted_into_markdown_is_found(catalog: str, tmp_path: Path) -> None:
    output = tmp_path / "chat.md"
    output.write_text("Use this helper:\n\n```python\n" + CODE + "```\n\nIt runs in O(n log n).\n")
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert {m.source for m in result.matches} == {"intervals.py"}
    assert result.matches[0].license == "AGPL-3.0-only"


def test_renamed_code_in_a_fenced_block_is_found(catalog: str, tmp_path: Path) -> None:
    renamed = CODE.replace("intervals", "spans").replace("merged", "acc").replace("ordered", "srt")
    output = tmp_path / "chat.md"
    text = "Try this:\n\n```py\n" + renamed + "```\n\nDone.\n"
    output.write_text(text)
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    (m,) = [m for m in result.matches if m.source == "intervals.py"]
    assert m.kind == "renamed" and m.license == "AGPL-3.0-only"
    assert text.index("def merge_spans") - 2 <= m.input_start < text.index("return acc")
    assert m.input_start_line >= 4 and 0 < m.share < 1


def test_code_blocks() -> None:
    text = "a\n```python\nx = 1\n```\n~~~unknownlang\ny\n~~~\n```\n\n```\n"
    assert trace_api.code_blocks(text) == [(text.index("x = 1"), "python", "x = 1\n")]


def test_repeated_structure_is_not_renamed_evidence() -> None:
    import numpy as np

    from creditline.core.fingerprint import K, fingerprint, kgram_hashes
    from creditline.core.matching import SpanHit
    from creditline.trace_api import _repetitive

    rng = np.random.default_rng(0)
    table = np.tile(rng.integers(0, 2**63, size=8, dtype=np.uint64), 20)  # "name: [n, n]," x 20
    code = rng.integers(0, 2**63, size=160, dtype=np.uint64)
    for stream, expected in ((table, True), (code, False)):
        fp = fingerprint(stream)
        span = SpanHit(1, 0, len(stream), 0, 10 * len(stream), 0, 10 * len(stream), len(fp), 1.0, 1)
        assert _repetitive(span, fp, np.sort(kgram_hashes(stream, K))) is expected


def test_repeated_structure_with_enough_unique_evidence_is_kept() -> None:
    """A run of similar classes repeats most of its fingerprints, yet each class differs
    somewhere: with REPEAT_UNIQUE fingerprints found once in the input it is still evidence."""
    import numpy as np

    from creditline.core.fingerprint import K, fingerprint, kgram_hashes
    from creditline.core.matching import SpanHit
    from creditline.trace_api import REPEAT_UNIQUE, _repetitive

    rng = np.random.default_rng(1)
    table = np.tile(rng.integers(0, 2**63, size=8, dtype=np.uint64), 30)
    for unique_tokens, expected in ((4, True), (40 * REPEAT_UNIQUE, False)):
        stream = np.concatenate([table, rng.integers(0, 2**63, size=unique_tokens, dtype=np.uint64)])
        fp = fingerprint(stream)
        span = SpanHit(1, 0, len(stream), 0, 10 * len(stream), 0, 10 * len(stream), len(fp), 1.0, 1)
        assert _repetitive(span, fp, np.sort(kgram_hashes(stream, K))) is expected


def test_renamed_code_fragment_starting_inside_a_docstring_is_found(catalog: str, tmp_path: Path) -> None:
    source = Path(catalog).parent / "corpus" / "report.py"
    body = ('def render_report(rows, title):\n    """Render rows as a fixed-width table.\n\n    Every row is a'
            ' sequence of cells; cells are padded to the widest cell of\n    their column and joined by two'
            ' spaces, under an underlined title.\n    """\n    widths = [max(len(str(c)) for c in col) for col in'
            ' zip(*rows)]\n    lines = [title, "=" * len(title)]\n    for row in rows:\n        lines.append("  "'
            '.join(str(c).ljust(w) for c, w in zip(row, widths)))\n    return "\\n".join(lines)\n')
    source.write_text(body)
    catalog_api.index([str(source.parent)], catalog=catalog)
    fragment = body[body.index("their column"):]  # starts inside the docstring
    for old, new in (("rows", "items"), ("title", "heading"), ("widths", "sizes"), ("lines", "out"),
                     ("col in", "column in"), ("in col)", "in column)"), ("row", "entry"), ("(c)", "(cell)"), (" c ", " cell "), ("w)", "size)"),
                     (" w ", " size ")):
        fragment = fragment.replace(old, new)
    answer = tmp_path / "answer.py"
    answer.write_text(fragment)  # renamed: only the code tokens after the docstring can find it
    (result,) = trace_api.trace([str(answer)], catalog=catalog).inputs
    assert {(m.source, m.kind) for m in result.matches} == {("report.py", "renamed")}
    assert result.matches[0].input_start < fragment.index("out = [")


def test_a_dense_copied_line_among_wide_tokens_counts_its_tokens(tmp_path: Path) -> None:
    """Ranking measures what a source explains in characters (spans of code tokens and of words
    meet there) but counts them as tokens: a copied line of 30 short tokens is kept in a file
    whose other lines hold long names and strings, where 20 tokens of the average width would be
    several hundred characters."""
    dense = 'canvas.text((x0,y0),"DRAG!",fill=(255,0,0),font=("Arial",30,("bold","italic")),anchor="mm")'
    source = "def banner(canvas, x0, y0):\n    " + dense + "\n    return canvas\n"
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "banner.py").write_text("# SPDX-License-Identifier: GPL-3.0-only\n" + source)
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    wide = "".join(f'configuration_registry_entry_{name}_value = "the {name} setting, described at length in words"\n'
                   for name in WORDS)
    answer = tmp_path / "answer.py"
    answer.write_text(wide + "def paint(surface):\n    " + dense.replace("canvas", "surface") + "\n" + wide)
    (result,) = trace_api.trace([str(answer)], catalog=str(tmp_path / "cat")).inputs
    assert [m.source for m in result.matches] == ["banner.py"]
    m = result.matches[0]
    assert m.input_end - m.input_start < 100 and m.tokens >= trace_api.MIN_TOKENS


def test_catalog_of_other_fingerprints_is_refused_for_tracing_not_for_inspection(catalog: str, tmp_path: Path) -> None:
    """A catalog built by a creditline that fingerprinted differently (another fingerprint
    version) would silently miss renamed copies: tracing refuses it with a hint to re-index,
    while listing its works still works."""
    import sqlite3

    from creditline.errors import CatalogVersionError

    with sqlite3.connect(Path(catalog) / "catalog.sqlite") as conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'fingerprint_version'")
    output = tmp_path / "answer.txt"
    output.write_text(LYRICS)
    with pytest.raises(CatalogVersionError) as info:
        trace_api.trace([str(output)], catalog=catalog)
    assert "index" in info.value.hint
    assert {w.path for w in catalog_api.catalog_works(catalog)} >= {"song.txt", "intervals.py"}
    result = CliRunner().invoke(cli, ["trace", "--catalog", catalog, str(output)])
    assert result.exit_code != 0 and "fingerprint" in result.output + (result.stderr or "")


def _trace_lyrics_copy(catalog: str, tmp_path: Path) -> tuple[str, str, Match]:
    """An answer quoting 114 words of the catalogued song mid-line: (copied words, answer, its one match)."""
    copied = " ".join(LYRICS.split()[37:151])
    output = tmp_path / "answer.md"
    output.write_text("Sure, here it is: " + copied + " Enjoy!\n")
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    (m,) = result.matches
    return copied, output.read_text(), m


def test_a_copy_is_found_to_its_exact_first_and_last_word(catalog: str, tmp_path: Path) -> None:
    """Fingerprints alone place the ends of a copy only to within a winnowing window; the text
    the catalog keeps puts them on the copy's first and last word, in the input and the source."""
    copied, text, m = _trace_lyrics_copy(catalog, tmp_path)
    assert text[m.input_start:m.input_end] == copied
    source = (tmp_path / "corpus" / "song.txt").read_text()
    assert " ".join(source[m.source_start:m.source_end].split()) == copied


def test_a_catalog_without_texts_still_traces(catalog: str, tmp_path: Path) -> None:
    """Catalogs written before texts were kept: the same sources, ends as the fingerprints put them."""
    import sqlite3

    with sqlite3.connect(Path(catalog) / "catalog.sqlite") as conn:
        conn.execute("DROP TABLE texts")
    copied, text, m = _trace_lyrics_copy(catalog, tmp_path)
    assert m.source == "song.txt"
    assert copied.find(text[m.input_start:m.input_end]) >= 0


def test_a_short_copy_broken_by_inserted_lines_is_found(catalog: str, tmp_path: Path) -> None:
    """Pieces of 17 and 10 words with a foreign line between: too short to be found as one
    20-token run, found by carrying the first piece past the inserted line in the source's text."""
    words = LYRICS.split()
    first, second = " ".join(words[200:217]), " ".join(words[217:227])
    output = tmp_path / "answer.md"
    output.write_text(f"Lyrics:\n{first}\nand then the chorus goes like this\n{second}\nThe end.\n")
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert [m.source for m in result.matches] == ["song.txt"]
    text = output.read_text()
    (m,) = result.matches
    assert text[m.input_start:m.input_end].startswith(first) and text[m.input_start:m.input_end].endswith(second)


def test_a_copy_cut_into_pieces_shorter_than_a_kgram_by_inserted_lines_is_found(
        catalog: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five lines of 8 copied words, a foreign line after each: no piece holds a k-gram (12
    words), so only the k-grams that read past the inserted lines find the copy (SKIP_LINES)."""
    words = LYRICS.split()
    pieces = [" ".join(words[100 + 8 * i : 108 + 8 * i]) for i in range(5)]
    output = tmp_path / "answer.md"
    output.write_text("".join(f"{piece}\nsaid someone who was not there {i}\n" for i, piece in enumerate(pieces)))
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert [m.source for m in result.matches] == ["song.txt"]
    text = output.read_text()
    assert text[result.matches[0].input_start:].startswith(pieces[0])
    assert text[: result.matches[0].input_end].endswith(pieces[-1])
    monkeypatch.setattr(trace_api, "SKIP_LINES", 0)
    assert trace_api.trace([str(output)], catalog=catalog).inputs[0].matches == ()


def test_comment_lines_cut_by_short_statements_are_read_past(catalog: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Copied lines of words as comments of a code output, a short statement after each
    (SKIP_CODE_TOKENS): the words of the text are read past the statements."""
    words = LYRICS.split()
    pieces = [" ".join(words[100 + 8 * i : 108 + 8 * i]) for i in range(5)]
    output = tmp_path / "notes.py"
    output.write_text("".join(f"# {piece}\nunrelated_{i} = {i}\n" for i, piece in enumerate(pieces)))
    assert [m.source for m in trace_api.trace([str(output)], catalog=catalog).inputs[0].matches] == ["song.txt"]
    monkeypatch.setattr(trace_api, "SKIP_CODE_TOKENS", 0)
    assert trace_api.trace([str(output)], catalog=catalog).inputs[0].matches == ()


def test_code_lines_are_not_read_past(catalog: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cut in code (a statement inserted after every line of a function) is not read
    past in its code tokens (only a text's words are, SKIP_CODE_TOKENS): code's short lines
    would stitch stock idiom together."""
    lines = [ln for ln in CODE.splitlines() if ln.strip()][:12]
    output = tmp_path / "answer.py"
    output.write_text("".join(f"{ln}\n{ln[: len(ln) - len(ln.lstrip())]}unrelated_{i} = {i}\n" for i, ln in enumerate(lines)))
    found = trace_api.trace([str(output)], catalog=catalog).inputs[0].matches
    monkeypatch.setattr(trace_api, "SKIP_LINES", 0)
    assert trace_api.trace([str(output)], catalog=catalog).inputs[0].matches == found


def test_code_of_the_same_shape_with_other_names_throughout_is_not_a_renamed_copy(catalog: str, tmp_path: Path) -> None:
    """Every name replaced by a fresh one at each use (no consistent renaming) and other
    literals: the shape is the same, but checked against the source's text it is no copy."""
    import itertools
    import re

    fresh = itertools.count()
    keep = {"def", "return", "for", "in", "if", "else", "not", "and", "or", "True", "False", "None", "lambda",
            "sorted", "append", "key", "len", "max", "min"}
    shaped = re.sub(r"\b[a-z_][a-z0-9_]*\b", lambda m: m.group() if m.group() in keep else f"v{next(fresh)}", CODE)
    shaped = re.sub(r'"[^"\n]*"', '"other"', shaped)
    output = tmp_path / "same_shape.py"
    output.write_text(shaped)
    (result,) = trace_api.trace([str(output)], catalog=catalog).inputs
    assert result.matches == ()


TWIN = '''
class Codec:
    def encode(self, input, errors="strict"):
        return codecs.charmap_encode(input, errors, encoding_table)

    def decode(self, input, errors="strict"):
        return codecs.charmap_decode(input, errors, decoding_table)


class IncrementalEncoder:
    def encode(self, input, final=False):
        return codecs.charmap_encode(input, self.errors, encoding_table)[0]


def getregentry():
    return codecs.CodecInfo(name="{name}", encode=Codec().encode, decode=Codec().decode,
                            incrementalencoder=IncrementalEncoder, streamwriter=None)
'''


def test_of_two_twins_the_one_whose_literals_the_copy_keeps_is_named(tmp_path: Path) -> None:
    """Files that differ only in a literal look the same to the renamed channel; the source's
    text tells which one a renamed copy comes from."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cp1250.py").write_text(TWIN.replace("{name}", "cp1250"))
    (corpus / "cp1251.py").write_text(TWIN.replace("{name}", "cp1251"))
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    renamed = (TWIN.replace("{name}", "cp1251").replace("Codec", "Coder").replace("input", "data")
               .replace("errors", "mode").replace("IncrementalEncoder", "StepEncoder"))
    for name in ("a.py", "b.py"):  # whichever order the catalog lists them in
        output = tmp_path / name
        output.write_text(renamed)
        (result,) = trace_api.trace([str(output)], catalog=cat).inputs
        assert [m.source for m in result.matches] == ["cp1251.py"], [(m.source, m.kind) for m in result.matches]


TABLE = "".join(f'''
class c_{name}(_SimpleCData):
    _type_ = "{code}"
_check_size(c_{name})
''' for name, code in [("ushort", "H"), ("long", "l"), ("ulong", "L"), ("int", "i"), ("uint", "I"), ("float", "f"),
                       ("double", "d"), ("longdouble", "g"), ("longlong", "q"), ("ulonglong", "Q"), ("ubyte", "B"),
                       ("byte", "b"), ("char", "c")])


@pytest.mark.parametrize(("codes", "found"), [("same", True), ("other", False)])
def test_renamed_repeated_structure_counts_when_its_literals_are_the_sources(
        tmp_path: Path, codes: str, found: bool) -> None:
    """A table of near-identical entries looks alike to the renamed channel whatever it says;
    renamed, it is a copy when its literals line up with the source's, not when they differ."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ctypes_table.py").write_text("import sys\n" + TABLE)
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    renamed = TABLE.replace("_check_size", "ensure_width").replace("c_", "kind_").replace("_type_", "code")
    if codes == "other":
        renamed = re.sub(r'"(\w)"', lambda m: f'"{chr(ord(m.group(1)) ^ 32)}x"', renamed)
    output = tmp_path / "answer.py"
    output.write_text(renamed)
    (result,) = trace_api.trace([str(output)], catalog=cat).inputs
    assert bool(result.matches) is found, [(m.source, m.kind, m.tokens) for m in result.matches]


def test_a_source_window_misread_as_a_string_is_read_from_the_whole_file(tmp_path: Path) -> None:
    """A long source is re-tokenised only around a span, as a fragment. When that window starts
    inside a long docstring that fills most of it, its parse takes the code after the docstring
    for a string: the span is then checked against the whole file."""
    prose = "\n".join(f"This module reads chunk number {i} of a stream and tells the caller where it ends"
                      for i in range(60))
    code = "\n\n".join(f'def step_{i}(value, scale):\n    """Scale value number {i}."""\n    total = value * scale + {i}\n'
                       f'    return total\n' for i in range(2))
    one = len(code_tokens(code[: code.index("def step_1(")], "python").exact)
    text = '"""' + prose + '\n"""\n\n' + code
    assert len(text) > trace_api.WHOLE_SOURCE_CHARS and text.index("def step_0(") > trace_api.SOURCE_MARGIN
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "mod.py").write_text(text)
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    cat = catalog_api.open_for_reading(str(tmp_path / "cat"), lookup=True)
    (work,) = list(cat.works())
    sources = trace_api.SourceTokens(cat)
    start, end = text.index("def step_0("), text.index("def step_1(")
    span = SpanHit(work=work.id, q_token_start=0, q_token_end=one, q_start=0, q_end=end - start, s_start=start,
                   s_end=end, fingerprints=5, weight=5.0)
    window = sources(work.id, start, end)
    whole = sources.whole(work.id)
    assert window is not None and whole is not None
    assert trace_api._misread(window[0], span) and not trace_api._misread(whole[0], span)
    assert ((whole[0].starts >= start) & (whole[0].ends <= end)).sum() == one
    assert ((window[0].starts >= start) & (window[0].ends <= end)).sum() < one / 2


SETTINGS_PY = '''import os


def unrelated_helper(items):
    return sorted(set(items))


def load_settings(path, fallback):
    with open(path, "r", encoding="utf-8") as handle:
        data = handle.read()
    return data or fallback


class Other:
    pass
'''


@pytest.mark.parametrize(("literals", "found"), [(('"r"', '"utf-8"'), True), (('"rb"', '"latin-1"'), False)])
def test_a_short_renamed_copy_counts_when_it_keeps_the_sources_literals(tmp_path: Path, literals: tuple[str, str],
                                                                          found: bool) -> None:
    """A renamed function under RENAMED_ALONE_TOKENS tokens (33 here) with nothing else copied
    counts when the renaming is flawless and it keeps at least two of the source's literals;
    the same shape with other strings is other code."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "settings.py").write_text(SETTINGS_PY)
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    body = SETTINGS_PY[SETTINGS_PY.index("def load_settings"):SETTINGS_PY.index("class Other")]
    for old, new in (("load_settings", "read_conf"), ("path", "where"), ("fallback", "default"), ("handle", "fh"),
                     ("data", "text"), ('"r"', literals[0]), ('"utf-8"', literals[1])):
        body = body.replace(old, new)
    answer = tmp_path / "answer.md"
    answer.write_text("Here is how you could do it:\n\n```python\n" + body + "```\n\nThat reads the file.\n")
    (result,) = trace_api.trace([str(answer)], catalog=str(tmp_path / "cat")).inputs
    matches = [(m.source, m.kind) for m in result.matches]
    assert matches == ([("settings.py", "renamed")] if found else [])
    if found:
        assert result.matches[0].tokens < trace_api.RENAMED_ALONE_TOKENS


def _short_settings() -> str:
    """SETTINGS_PY with a 26-token load_settings: shorter than its renamed fingerprints reach."""
    return SETTINGS_PY.replace('''def load_settings(path, fallback):
    with open(path, "r", encoding="utf-8") as handle:
        data = handle.read()
    return data or fallback''', '''def load_settings(path):
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read()''')


def _renamed_short_settings_answer(source: str) -> str:
    body = source[source.index("def load_settings"):source.index("class Other")]
    for old, new in (("load_settings", "read_conf"), ("path", "where"), ("handle", "fh")):
        body = body.replace(old, new)
    return "Here is how you could do it:\n\n```python\n" + body + "```\n\nThat reads the file.\n"


def test_a_renamed_copy_shorter_than_its_fingerprints_reach_is_grown_to_its_ends(tmp_path: Path) -> None:
    """A 26-token renamed function: its fingerprints alone span fewer than 20 tokens, so the span
    is found from one fingerprint, checked against the source and grown to the copy's ends
    before the 20-token threshold applies."""
    source = _short_settings()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "settings.py").write_text(source)
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    answer = tmp_path / "answer.md"
    answer.write_text(_renamed_short_settings_answer(source))
    (result,) = trace_api.trace([str(answer)], catalog=str(tmp_path / "cat")).inputs
    assert [(m.source, m.kind) for m in result.matches] == [("settings.py", "renamed")]
    assert trace_api.MIN_TOKENS <= result.matches[0].tokens < trace_api.RENAMED_ALONE_TOKENS


def test_spans_over_one_input_range_at_two_places_of_the_source_keep_one_place() -> None:
    """A line the source has twice can be matched at one occurrence by code tokens and at the
    other by abstracted tokens; the merged match points at one of them (the literal one), not
    at everything between them. Spans of one place of the source still merge into their union."""
    exact = SpanHit(7, 10, 30, 100, 155, 14_721, 14_776, 2, 1.0)
    renamed = SpanHit(7, 10, 30, 100, 155, 15_861, 15_916, 1, 1.0)
    ((merged, kind),) = trace_api._merge_overlaps([(renamed, "renamed"), (exact, "exact")])
    assert (merged.s_start, merged.s_end, kind) == (14_721, 14_776, "exact")
    later = SpanHit(7, 25, 60, 140, 260, 14_762, 14_880, 3, 1.0)  # the copy goes on in both
    ((merged, _),) = trace_api._merge_overlaps([(exact, "exact"), (later, "renamed")])
    assert (merged.q_start, merged.q_end, merged.s_start, merged.s_end) == (100, 260, 14_721, 14_880)


SUMMARY_PY = '''def summarize(records, threshold):
    totals = {}
    for record in records:
        bucket = record.category
        if record.value > threshold:
            totals[bucket] = totals.get(bucket, 0) + record.value
    ordered = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    return ordered[:10]
'''


def _renamed_summary() -> str:
    body = SUMMARY_PY
    for old, new in (("records", "entries"), ("record", "entry"), ("totals", "per_group"), ("ordered", "ranked"),
                     ("bucket", "group"), ("item", "pair")):
        body = body.replace(old, new)
    return body


def test_a_renamed_copy_of_a_file_with_build_variants_is_found_by_its_literal_anchor(tmp_path: Path) -> None:
    """Three builds of one module share their abstracted code, so its renamed fingerprints are in
    three works, more than a renamed anchor may be in alone; the work the input also shares a
    rare comment with (a literal fingerprint found in no other work) is anchored by it."""
    comment = "# quarterly totals of the regional ledgers kept by the northern harbor office since spring\n"
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "ledger.py").write_text("# SPDX-License-Identifier: MPL-2.0\n" + comment + SUMMARY_PY)
    for build, names in (("ledger_cjs.py", ("rows", "acc")), ("ledger_esm.py", ("items", "sums"))):
        (tmp_path / "corpus" / build).write_text(SUMMARY_PY.replace("records", names[0]).replace("totals", names[1]))
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    answer = tmp_path / "answer.py"
    answer.write_text(comment + _renamed_summary())
    (result,) = trace_api.trace([str(answer)], catalog=str(tmp_path / "cat")).inputs
    assert [(m.source, m.kind) for m in result.matches] == [("ledger.py", "renamed")]
    assert result.matches[0].license == "MPL-2.0"


@pytest.mark.parametrize("names", [("dist/cjs/ledger.py", "dist/esm/ledger.py", "src/ledger.py"),
                                   ("ledger_by_region.py", "ledger_by_month.py", "ledger_by_desk.py")])
def test_build_variants_of_one_file_count_once_as_a_renamed_anchor(tmp_path: Path, names: tuple[str, ...]) -> None:
    """Three builds of one file (one name in three folders) hold the same abstracted code, so
    its renamed fingerprints are in three works, more than a renamed anchor may be in; the input
    cannot tell the builds apart, so they count as one and a renamed copy with no literal anchor
    is found in one of them. Three files of different names with that code are a project's
    look-alikes, not builds of one file: their shared shape is no anchor."""
    for i, name in enumerate(names):
        path = tmp_path / "corpus" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# SPDX-License-Identifier: MPL-2.0\n# build {i}: {name}\n" + SUMMARY_PY + f"\nVARIANT = {i}\n")
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    answer = tmp_path / "answer.py"
    answer.write_text(_renamed_summary())
    (result,) = trace_api.trace([str(answer)], catalog=str(tmp_path / "cat")).inputs
    if names[0].endswith("/ledger.py"):
        assert len(result.matches) == 1
        assert (result.matches[0].source in names, result.matches[0].kind) == (True, "renamed")
        assert result.matches[0].license == "MPL-2.0"
    else:
        assert result.matches == ()


def test_scale_tokens_grow_by_a_step_per_doubling_of_the_catalog() -> None:
    assert [trace_api.scale_tokens(n) for n in (1, 1_000, trace_api.SCALE_FROM_WORKS)] == [0, 0, 0]
    per = trace_api.SCALE_TOKENS_PER_DOUBLING
    assert trace_api.scale_tokens(2 * trace_api.SCALE_FROM_WORKS) == per
    assert trace_api.scale_tokens(8 * trace_api.SCALE_FROM_WORKS) == 3 * per


@pytest.mark.parametrize("large", [False, True])
def test_a_short_renamed_copy_needs_more_tokens_in_a_larger_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    large: bool) -> None:
    """An unsupported renamed span of 26 tokens counts in a small catalog; the more works a
    catalog holds, the more look-alike code it holds by chance, so from SCALE_FROM_WORKS works on
    such spans need SCALE_TOKENS_PER_DOUBLING more tokens per doubling (here the catalog of four
    works counts as two doublings past a threshold of one)."""
    source = _short_settings()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "settings.py").write_text(source)
    for i, words in enumerate(("harbor ledger tide", "orchard pruning frost", "violin rosin bow")):
        (tmp_path / "corpus" / f"notes_{i}.md").write_text(f"Notes on {words}, kept apart from any code.\n")
    catalog_api.index([str(tmp_path / "corpus")], catalog=str(tmp_path / "cat"))
    if large:
        monkeypatch.setattr(trace_api, "SCALE_FROM_WORKS", 1)
    answer = tmp_path / "answer.md"
    answer.write_text(_renamed_short_settings_answer(source))
    (result,) = trace_api.trace([str(answer)], catalog=str(tmp_path / "cat")).inputs
    assert [(m.source, m.kind) for m in result.matches] == ([] if large else [("settings.py", "renamed")])


class _Paths:
    """A stand-in catalog that only knows its works' paths."""

    def __init__(self, paths: dict[int, str]) -> None:
        self._paths = paths

    def work(self, work_id: int):  # type: ignore[no-untyped-def]
        return type("W", (), {"path": self._paths[work_id]})()


def test_variant_freq_counts_same_named_works_with_the_same_hits_once() -> None:
    """Two builds of x.js holding the same fingerprints of the input count once; a third build
    that also holds another fingerprint, and a file of another name, count apart; more works with
    the same hits than MAX_VARIANTS are not builds of one file and all count."""
    paths = {10: "dist/cjs/x.js", 11: "dist/esm/x.js", 12: "src/x.js", 13: "src/y.js"}
    hashes = np.array([101, 202, 303], dtype=np.uint64)
    pairs = [(0, 10), (0, 11), (0, 12), (0, 13), (1, 10), (1, 11), (1, 12), (2, 12)]
    qi = np.array([q for q, _ in pairs], dtype=np.int64)
    work = np.array([w for _, w in pairs], dtype=np.int64)
    hits = (qi, work, np.zeros(len(qi), dtype=np.int64), np.zeros(len(qi), dtype=np.int64))
    df = trace_api._variant_freq(_Paths(paths), hits, hashes)  # type: ignore[arg-type]
    # 10 and 11 hold {0, 1} under one name: one class; 12 holds {0, 1, 2}; 13 has another name
    assert df.tolist() == [3, 2, 1]
    # by name (the renamed channel): the three x.js count once, whatever they hold
    assert trace_api._variant_freq(_Paths(paths), hits, hashes, by_name=True).tolist() == [2, 1, 1]  # type: ignore[arg-type]
    # more works with the same hits than MAX_VARIANTS are not one file's builds
    many = {i: f"pkg{i}/index.js" for i in range(trace_api.MAX_VARIANTS + 1)}
    qi = np.zeros(len(many), dtype=np.int64)
    work = np.array(list(many), dtype=np.int64)
    hits = (qi, work, np.zeros(len(qi), dtype=np.int64), np.zeros(len(qi), dtype=np.int64))
    assert trace_api._variant_freq(_Paths(many), hits, hashes[:1]).tolist() == [len(many)]  # type: ignore[arg-type]
    few = dict(list(many.items())[: trace_api.MAX_VARIANTS])
    hits = tuple(a[: len(few)] for a in hits)
    assert trace_api._variant_freq(_Paths(few), hits, hashes[:1]).tolist() == [1]  # type: ignore[arg-type]


def test_of_two_twins_over_one_part_of_the_input_the_one_that_changes_its_literals_is_dropped() -> None:
    """Renamed spans of two works over the same input range: the twin whose source changes 10 of
    the 22 aligned literals goes, even though its span runs on 16 characters further; spans of
    other ranges, spans within TWIN_LITERALS of each other and spans without evidence stay."""
    from creditline.core.matching import RenamingEvidence

    def span(work: int, q_start: int, q_end: int) -> SpanHit:
        return SpanHit(work=work, q_token_start=q_start // 6, q_token_end=q_end // 6, q_start=q_start, q_end=q_end,
                       s_start=0, s_end=q_end - q_start, fingerprints=10, weight=10.0)

    copied, twin, elsewhere, close, bare = span(1, 210, 1319), span(2, 194, 1319), span(3, 2000, 2400), \
        span(4, 220, 1300), span(5, 200, 1319)
    evidence = {id(copied): RenamingEvidence(1.0, 40, 22, 22), id(twin): RenamingEvidence(1.0, 41, 22, 12),
                id(elsewhere): RenamingEvidence(1.0, 20, 9, 0), id(close): RenamingEvidence(1.0, 40, 22, 20)}
    spans = [(s, "renamed") for s in (copied, twin, elsewhere, close, bare)]
    kept = trace_api._apart_from_twins(spans, evidence)
    assert [s.work for s, _ in kept] == [1, 3, 4, 5]
    assert [s.work for s, _ in trace_api._apart_from_twins(spans[1:], evidence)] == [3, 4, 5]  # 2 changed, not 10
    evidence[id(close)] = RenamingEvidence(1.0, 40, 22, 14)  # 8 changed: within TWIN_LITERALS of the twin's 10
    assert [s.work for s, _ in trace_api._apart_from_twins(spans[1:], evidence)] == [2, 3, 4, 5]


def _vector_table(make: str) -> str:
    """A run of ``const a0 = new Vector3();`` lines in groups, each group gathered in an array."""
    lines, n = ["function tessellate( geometry, maxEdgeLength ) {", ""], 0
    for group, kind in enumerate(["Vector3", "Vector3", "Color", "Vector2", "Vector2"]):
        names = []
        for _ in range(4):
            names.append(f"v{n}")
            lines.append(f"\tconst v{n} = new {make.format(kind=kind)}();")
            n += 1
        lines += [f"\tconst group{group} = [ {', '.join(names)} ];", ""]
    return "\n".join([*lines, "\treturn geometry;", "}", ""])


def test_a_renamed_copy_of_repeated_code_counts_when_it_keeps_the_source_names(tmp_path: Path) -> None:
    """Repeated structure with no literals: a renamed copy keeps its classes (`Vector3`, `Color`)
    in place and is found; the same table building other classes in each place shares only the
    punctuation and is not, though its renaming is as consistent."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tessellate.js").write_text("import { Vector2, Vector3, Color } from 'three';\n\n" + _vector_table("{kind}")
                                          + "\nexport { tessellate };\n")
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    rename = {"tessellate": "build_mesh", "geometry": "shape", "maxEdgeLength": "limit"}
    others = {"Vector3": "Matrix4", "Color": "Euler", "Vector2": "Box3"}

    def renamed(text: str) -> str:
        return re.sub(r"\b(v\d+|group\d|tessellate|geometry|maxEdgeLength)\b",
                      lambda m: rename.get(m.group(), m.group().replace("v", "item_").replace("group", "all_")), text)

    copy, shape = tmp_path / "copy.js", tmp_path / "shape.js"
    copy.write_text(renamed(_vector_table("{kind}")))
    shape.write_text(renamed(_vector_table("{kind}")).replace("Vector3", others["Vector3"])
                     .replace("Color", others["Color"]).replace("Vector2", others["Vector2"]))
    found = {Path(r.path).name: [(m.source, m.kind) for m in r.matches]
             for r in trace_api.trace([str(copy), str(shape)], catalog=cat).inputs}
    assert found == {"copy.js": [("tessellate.js", "renamed")], "shape.js": []}


FAMILY = """var {var} = require('../string/virtual/{name}');

var StringPrototype = String.prototype;

module.exports = function (it) {{
  var own = it.{method};
  return typeof it == 'string' || it === StringPrototype
    || (isPrototypeOf(StringPrototype, it) && own === StringPrototype.{method}) ? {var} : own;
}};
"""
FAMILY_NAMES = ["code-point-at", "ends-with", "includes", "pad-end", "pad-start", "repeat", "starts-with", "trim"]


def _family_member(name: str) -> str:
    method = name.split("-")[0] + "".join(part.title() for part in name.split("-")[1:])
    return FAMILY.format(var="method", name=name, method=method)


def test_a_renamed_copy_of_one_of_a_family_of_template_files_is_found_by_its_strings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight files made from one template differ only in a path and a method name: their
    abstracted code is the same, so no renamed fingerprint anchors one of them, but the copy's
    require path is in one file only."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FAMILY_NAMES:
        (corpus / f"{name}.js").write_text(_family_member(name))
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    copy = tmp_path / "copy.js"
    copy.write_text(_family_member("pad-start").replace("method", "padder").replace("(it)", "(value)")
                    .replace("it.", "value.").replace("it ==", "value ==").replace("it ===", "value ===")
                    .replace(", it)", ", value)").replace("own", "found"))
    stranger = tmp_path / "stranger.js"  # a member the catalog does not hold: its path is in no file
    stranger.write_text(copy.read_text().replace("pad-start", "at").replace("padStart", "at"))
    found = {Path(r.path).name: [(m.source, m.kind) for m in r.matches]
             for r in trace_api.trace([str(copy), str(stranger)], catalog=cat).inputs}
    assert found == {"copy.js": [("pad-start.js", "renamed")], "stranger.js": []}
    monkeypatch.setattr(trace_api, "FAMILY_DF", 0)
    assert trace_api.trace([str(copy)], catalog=cat).inputs[0].matches == ()


@pytest.mark.parametrize(("evidence", "tokens", "min_df", "holds"), [
    ((1.0, 12, 2, 2), 30, 3, True),  # two literals kept, short_min tokens
    ((1.0, 12, 2, 2), 29, 1, False),  # ...but too short
    ((1.0, 12, 1, 1), 30, 1, True),  # one literal, a fingerprint in no other work, UNIQUE_SHORT_TOKENS
    ((1.0, 12, 1, 1), 29, 1, False),
    ((1.0, 12, 1, 1), 40, 2, False),  # its rarest fingerprint is in another work too
    ((1.0, 12, 2, 1), 40, 1, False),  # a literal changed
    ((1.0, 12, 0, 0), 40, 1, False),  # no literal at all
    ((0.95, 12, 3, 3), 40, 1, False),  # one name stands for two
])
def test_short_renamed_spans_need_a_flawless_renaming_and_kept_literals(
        evidence: tuple, tokens: int, min_df: int, holds: bool) -> None:
    from creditline.core.matching import RenamingEvidence

    assert trace_api.UNIQUE_SHORT_TOKENS == 30 and trace_api.SHORT_RENAMED_LITERALS == 2
    assert trace_api._short_holds(RenamingEvidence(*evidence), tokens, min_df, short_min=30) is holds


def test_a_match_inside_a_longer_match_of_a_same_named_work_is_dropped() -> None:
    """`amd/toArray.js` inside `cjs/toArray.js`'s longer match goes; a same-named work's match
    that reaches past the longer one, another name's match inside it, and a match of equal
    length stay."""
    def match(work_id: int, source: str, start: int, end: int) -> Match:
        return Match(source=source, root="/corpus", work_id=work_id, input_start=start, input_end=end,
                     input_start_line=1, input_end_line=1, source_start=0, source_end=end - start,
                     source_start_line=1, source_end_line=1, kind="exact", tokens=(end - start) // 5,
                     share=0.1, license="MIT", obligations=(), credit_line="")

    longer = match(1, "npm/underscore/cjs/toArray.js", 136, 582)
    inside = match(2, "npm/underscore/amd/toArray.js", 327, 580)
    past = match(3, "npm/underscore/modules/toArray.js", 300, 600)
    other = match(4, "npm/underscore/amd/find.js", 200, 400)
    equal = match(5, "lib/toArray.js", 136, 582)
    kept = trace_api._without_nested_twins([longer, inside, past, other, equal])
    assert [m.work_id for m in kept] == [1, 3, 4, 5]


def test_of_twins_the_work_like_the_input_and_made_of_the_copied_text_is_credited(tmp_path: Path) -> None:
    """One text in three works: its own file, a file that quotes it amid much else (indexed
    first: the smaller id, which wins a plain tie) and a copy with one word changed. An output
    that copies the text is credited to its own file; with the rule off, to the quoting file."""
    rng = random.Random(7)
    text = "\n".join(" ".join(rng.choice(WORDS) for _ in range(9)) for _ in range(30))
    other = "\n".join(" ".join(rng.choice(WORDS[::-1]) for _ in range(11)) for _ in range(300))
    lines = text.splitlines()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a_bundle.txt").write_text(other + "\n\n" + "\n".join("    " + line for line in lines) + "\n\n" + other[::-1])
    (corpus / "b_license.txt").write_text(text + "\n")
    (corpus / "c_variant.txt").write_text("\n".join(lines[:-1] + [lines[-1].replace(" ", " x", 1)]) + "\n")
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    output = tmp_path / "answer.md"
    output.write_text("Here it is:\n\n" + text + "\n\nEnjoy.\n")
    (result,) = trace_api.trace([str(output)], catalog=cat).inputs
    assert [m.source for m in result.matches] == ["b_license.txt"]


class Texts:
    """The texts of works, as SourceTokens.text gives them (None for a work without one)."""

    def __init__(self, texts: dict[int, str]) -> None:
        self.texts = texts

    def text(self, work: int) -> str | None:
        return self.texts.get(work)


def test_one_of_twins_keeps_the_likest_then_the_most_covered_then_the_heaviest() -> None:
    query = "alpha beta gamma delta epsilon zeta eta theta"

    def span(work: int, q_start: int, q_end: int, s_start: int, weight: float = 10.0) -> tuple[SpanHit, str]:
        return SpanHit(work=work, q_token_start=0, q_token_end=8, q_start=q_start, q_end=q_end, s_start=s_start,
                       s_end=s_start + q_end - q_start, fingerprints=3, weight=weight), "words"

    same = query
    quoted = "x " * 500 + query + " y" * 500
    changed = query.replace("zeta", "zeta!")
    sources = Texts({1: quoted, 2: same, 3: changed, 4: same, 5: same})
    n = len(query)
    found = [span(1, 0, n, 1000), span(2, 0, n, 0), span(3, 0, n, 0)]
    assert [s.work for s, _ in trace_api._one_of_twins(found, query, sources)] == [2]  # type: ignore[arg-type]
    # of works of about one size, the heavier stays; works over other ranges are not twins
    found = [span(4, 0, n, 0, 9.0), span(5, 0, n, 0, 11.0), span(6, 0, 20, 0)]
    assert [s.work for s, _ in trace_api._one_of_twins(found, query, sources)] == [5, 6]  # type: ignore[arg-type]
    # the likest wins over the one the spans cover most of
    found = [span(1, 0, n, 1000), span(3, 0, n, 0)]
    assert [s.work for s, _ in trace_api._one_of_twins(found, query, Texts({1: quoted, 3: changed}))] == [1]  # type: ignore[arg-type]


def test_a_renamed_span_within_another_of_its_work_is_merged_counting_its_literal_tokens_once() -> None:
    """Two pieces of one renamed copy, each grown to the whole copy, must not outweigh a twin
    work where the copy was found once: the piece inside adds its fingerprints' weight to the
    span holding it, not its literal tokens (RenamingEvidence.same) a second time."""
    from creditline.core.matching import RenamingEvidence

    def span(work: int, q_start: int, q_end: int, weight: float) -> SpanHit:
        return SpanHit(work=work, q_token_start=q_start // 6, q_token_end=q_end // 6, q_start=q_start, q_end=q_end,
                       s_start=0, s_end=q_end - q_start, fingerprints=10, weight=weight)

    whole, piece, twin, apart = span(1, 363, 1516, 246.0), span(1, 363, 1100, 272.0), span(2, 363, 1516, 434.0), \
        span(1, 2000, 2300, 50.0)
    evidence = {id(whole): RenamingEvidence(1.0, 51, 15, 15, 156, 8), id(piece): RenamingEvidence(1.0, 33, 12, 12, 101, 6),
                id(twin): RenamingEvidence(1.0, 51, 15, 15, 156, 8)}
    merged = trace_api._contained_merged([(piece, "renamed"), (whole, "renamed"), (twin, "renamed"), (apart, "renamed")],
                                         evidence)
    weights = {(s.work, s.q_start, s.q_end): s.weight for s, _ in merged}
    assert weights == {(1, 363, 1516): 246.0 + 272.0 - 101, (2, 363, 1516): 434.0, (1, 2000, 2300): 50.0}
    assert weights[(1, 363, 1516)] < weights[(2, 363, 1516)]


def test_pieces_that_two_files_of_other_names_carry_over_one_part_of_the_input_are_dropped() -> None:
    """Spans carried over breaks (``shared`` set) by two works of different file names over the
    same part of the input are an idiom and go; a same-named pair (build variants), spans found
    whole, and bridged spans elsewhere in the input stay."""
    class Paths:
        def __init__(self, paths: dict[int, str]) -> None:
            self.paths = paths

        def work(self, work_id: int) -> Work:
            return Work(path=self.paths[work_id], sha1="")

    def span(work: int, q_start: int, q_end: int, shared: int | None) -> tuple[SpanHit, str]:
        return SpanHit(work=work, q_token_start=q_start // 5, q_token_end=q_end // 5, q_start=q_start, q_end=q_end,
                       s_start=0, s_end=q_end - q_start, fingerprints=3, weight=5.0, shared=shared), "exact"

    cat = Paths({1: "esprima/bin/esvalidate.js", 2: "katex/cli.js", 3: "a/amd/index.js", 4: "a/cjs/index.js",
                 5: "b/whole.js", 6: "c/elsewhere.js"})
    found = [span(1, 100, 220, 27), span(2, 110, 230, 29), span(3, 500, 700, 40), span(4, 505, 700, 41),
             span(5, 100, 220, None), span(6, 900, 1000, 25)]
    kept = trace_api._unshared_bridges(found, cat)  # type: ignore[arg-type]
    assert [s.work for s, _ in kept] == [3, 4, 5, 6]
    assert trace_api._unshared_bridges(found[:1] + found[2:], cat) == found[:1] + found[2:]  # type: ignore[arg-type]


@pytest.mark.parametrize(("evidence", "tokens", "holds"), [
    ((1.0, 9, 3, 2), 31, False),  # a literal changed in a span shorter than one that counts alone
    ((1.0, 9, 3, 3), 31, True),  # every literal kept
    ((1.0, 9, 3, 2), 45, True),  # as long as one that counts alone: two literals kept are enough
])
def test_short_renamed_spans_below_the_alone_length_keep_every_literal(evidence: tuple, tokens: int,
                                                                       holds: bool) -> None:
    from creditline.core.matching import RenamingEvidence

    found = RenamingEvidence(*evidence)
    assert trace_api._short_holds(found, tokens, 3, short_min=30, alone_min=45) is holds
    assert trace_api._short_holds(found, tokens, 3, short_min=30)  # without alone_min: two literals kept suffice


LANG_KEYS = ("rect polygon lineX lineY keep clear back zoom restore save dataView line bar stack tiled "
             "title subtitle legend").split()


def _lang_table(lang: str, obj: bool) -> str:
    body = "".join(f"    {key}: '{lang} {key} etichetta {i}',\n" for i, key in enumerate(LANG_KEYS))
    return ("export default {\n" + body + "};\n") if obj else ("var lang = {\n" + body + "};\nexport default lang;\n")


def test_a_renamed_copy_of_a_locale_table_held_by_two_build_variants_is_found_by_its_strings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locale tables of one shape differ only in their strings; the Italian one is shipped in
    two builds that hold the same strings. A copy with every key renamed is found in one of
    them by its strings (FAMILY_TIE_LITERALS: a tie of works that all hold many of the input's
    strings is a tie of copies of one text)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for lang in ("de", "fr", "es", "pt", "nl", "pl", "cs"):
        (corpus / f"lang_{lang}.js").write_text(_lang_table(lang, obj=False))
    (corpus / "lang_it.js").write_text(_lang_table("it", obj=False))
    (corpus / "lang_it_obj.js").write_text(_lang_table("it", obj=True))
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    copy = tmp_path / "copy.js"
    text = _lang_table("it", obj=False)
    for i, key in enumerate(LANG_KEYS):
        text = text.replace(f"    {key}:", f"    k{i}_renamed:")
    copy.write_text(text.replace("var lang", "var table").replace("default lang", "default table"))
    sources = [m.source for m in trace_api.trace([str(copy)], catalog=cat).inputs[0].matches]
    assert sources in (["lang_it.js"], ["lang_it_obj.js"])
    monkeypatch.setattr(trace_api, "FAMILY_TIE_LITERALS", 10**6)
    assert trace_api.trace([str(copy)], catalog=cat).inputs[0].matches == ()


def test_twins_are_compared_over_whole_lines_and_the_lines_around() -> None:
    text = "a1\nb2\nc3 XX\nd4\ne5\nf6\ng7\nh8\n"
    at = text.index("XX")
    assert trace_api.TWIN_CONTEXT_LINES == 3
    assert trace_api._lines_of(text, at, at + 2) == "a1\nb2\nc3 XX\nd4\ne5\nf6"
    assert trace_api._lines_of("XX\nb", 0, 2) == "XX\nb"
    long = "x" * 5000 + "XX" + "y" * 5000
    assert len(trace_api._lines_of(long, 5000, 5002)) == 2 + trace_api.TWIN_COMPARE_CHARS


def test_of_twins_the_one_whose_lines_around_the_span_match_the_input_is_kept() -> None:
    body = "const escape = (s) => s.replace(pattern, fix);\n"
    query = "x\n" + body + "//# sourceMappingURL=escape.js.map\n"
    cjs = "x\n" + body + "exports.escape = escape;\n//# sourceMappingURL=escape.js.map\n"
    esm = "x\n" + body + "//# sourceMappingURL=escape.js.map\n"
    start, end = 2, 2 + len(body) - 1

    def span(work: int) -> tuple[SpanHit, str]:
        return SpanHit(work=work, q_token_start=0, q_token_end=12, q_start=start, q_end=end, s_start=start,
                       s_end=end, fingerprints=3, weight=10.0), "exact"

    kept = trace_api._one_of_twins([span(1), span(2)], query, Texts({1: cjs, 2: esm}))  # type: ignore[arg-type]
    assert [s.work for s, _ in kept] == [2]
