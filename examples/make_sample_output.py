"""Write sample "AI outputs" that copy from real works on this machine, for `make demo`.

``OUT_DIR/answer.md`` splices a passage of the GPL-3 text (/usr/share/common-licenses/GPL-3,
Debian) into prose and pastes a function of the Python standard library (shlex.py) into a
Markdown code block, the way a chat answer would; ``OUT_DIR/helper.py`` is a stdlib function
(textwrap.py) with its variables renamed. Usage:
    python examples/make_sample_output.py OUT_DIR
"""

from __future__ import annotations

import ast
import sys
import sysconfig
import textwrap
from pathlib import Path

GPL = Path("/usr/share/common-licenses/GPL-3")
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def function_source(path: Path, name: str) -> str:
    source = path.read_text(encoding="utf-8")
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name)
    return textwrap.dedent("\n".join(source.splitlines()[node.lineno - 1 : node.end_lineno]))


def main(out_dir: str) -> None:
    out = Path(out_dir)
    words = GPL.read_text(encoding="utf-8").split()
    pasted = function_source(STDLIB / "shlex.py", "read_token")
    answer = (
        "Here is a short answer about software freedom.\n\n"
        + " ".join(words[400:560])
        + "\n\nAnd a tokenizer you can use:\n\n```python\n" + pasted + "\n```\n\nHope this helps!\n"
    )
    (out / "answer.md").write_text(answer, encoding="utf-8")
    renamed = function_source(STDLIB / "textwrap.py", "_wrap_chunks")
    for old, new in (("chunks", "pieces"), ("cur_line", "line_now"), ("lines", "rows"), ("width", "room")):
        renamed = renamed.replace(old, new)
    (out / "helper.py").write_text(renamed + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
