// Worker for bench/peers.py: runs Dolos (the @dodona/dolos-lib library) on given files and
// prints JSON on stdout. Needs Node >= 18 and the library installed by bench/peers.py.
//
//   node bench/peers_dolos.mjs DOLOS_DIR REQUEST.json
//   node bench/peers_dolos.mjs DOLOS_DIR --check        (prints the library's version)
//
// DOLOS_DIR is the npm folder holding node_modules/@dodona/dolos-lib (bench/.work/dolos).
// REQUEST is one of
//   {"mode": "pairs", "language": "java", "files": [...], "pairs": [[a, b], ...]}
//       one Dolos analysis of all files (default options: k-grams of 23 tokens, window 17),
//       then report.getPair(a, b) for each listed pair;
//   {"mode": "cross", "tests": [...], "refs": [...]}
//       files are grouped by the language Dolos assigns to their extension (those it has no
//       parser for, .txt/.md included, use its "char" tokenizer); one analysis per group, and
//       every (test, ref) pair of a group is scored. Pairs in different groups are not compared
//       (a Dolos analysis has one language). Only pairs with a non-zero similarity are listed.
// Output: {"version", "options", "pairs": [[a, b, similarity, longest, overlap, cover_a, cover_b]],
// "unreadable": [...], "groups": {language: files}, "seconds": {...}}. similarity is Dolos's
// (covered_a + covered_b) / (total_a + total_b) over winnowed k-grams; cover_a = covered_a / total_a.

import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dolosDir, requestPath] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(dolosDir), "package.json"));
const libEntry = require.resolve("@dodona/dolos-lib");
const lib = await import(pathToFileURL(libEntry).href);
const libVersion = JSON.parse(fs.readFileSync(
  path.join(libEntry.slice(0, libEntry.lastIndexOf("dist")), "package.json"), "utf8")).version;

if (requestPath === "--check") {
  const probe = new lib.Dolos({ language: "java" });
  const report = await probe.analyze([
    new lib.File("A.java", "class A { int f(int x) { return x + 1; } }"),
    new lib.File("B.java", "class B { int g(int y) { return y + 1; } }"),
  ]);
  report.allPairs();
  console.log(JSON.stringify({ version: libVersion }));
  process.exit(0);
}

const req = JSON.parse(fs.readFileSync(requestPath, "utf8"));
const unreadable = [];

function readAll(paths) {
  const files = [];
  for (const p of paths) {
    try {
      files.push(new lib.File(p, fs.readFileSync(p).toString()));
    } catch {
      unreadable.push(p);
    }
  }
  return files;
}

function row(pair, a, b) {
  const coverA = pair.leftTotal ? pair.leftCovered / pair.leftTotal : 0;
  const coverB = pair.rightTotal ? pair.rightCovered / pair.rightTotal : 0;
  return [a, b, pair.similarity, pair.longest, pair.overlap, coverA, coverB];
}

async function analyze(language, files) {
  const dolos = new lib.Dolos({ language });
  const report = await dolos.analyze(files);
  const byPath = new Map(report.files.map(f => [f.path, f]));
  return { report, byPath };
}

const seconds = {};
const groups = {};
const out = [];
let options = null;

if (req.mode === "pairs") {
  const t0 = performance.now();
  const files = readAll([...new Set(req.files)]);
  const { report, byPath } = await analyze(req.language, files);
  options = report.options.asObject();
  const t1 = performance.now();
  for (const [a, b] of req.pairs) {
    const fa = byPath.get(a), fb = byPath.get(b);
    out.push(fa && fb ? row(report.getPair(fa, fb), a, b) : [a, b, 0, 0, 0, 0, 0]);
  }
  seconds.analyze = (t1 - t0) / 1000;
  seconds.pairs = (performance.now() - t1) / 1000;
  groups[req.language] = files.length;
} else {
  const languageOf = p => {
    const lang = lib.LanguagePicker.languages.find(l => l.extensionMatches(p));
    return lang ? lang.name : "char";
  };
  const split = new Map();
  for (const [role, paths] of [["tests", req.tests], ["refs", req.refs]]) {
    for (const p of new Set(paths)) {
      const lang = languageOf(p);
      if (!split.has(lang)) split.set(lang, { tests: [], refs: [] });
      split.get(lang)[role].push(p);
    }
  }
  for (const [lang, g] of [...split.entries()].sort()) {
    groups[lang] = g.tests.length + g.refs.length;
    if (!g.tests.length || !g.refs.length) continue;
    const t0 = performance.now();
    const files = readAll([...new Set([...g.tests, ...g.refs])]);
    if (files.length < 2) continue;
    const { report, byPath } = await analyze(lang, files);
    options = options || report.options.asObject();
    const t1 = performance.now();
    for (const a of g.tests) {
      const fa = byPath.get(a);
      if (!fa) continue;
      for (const b of g.refs) {
        const fb = byPath.get(b);
        if (!fb || fa === fb) continue;
        const pair = report.getPair(fa, fb);
        if (pair.similarity > 0) out.push(row(pair, a, b));
      }
    }
    seconds[`${lang}.analyze`] = (t1 - t0) / 1000;
    seconds[`${lang}.pairs`] = (performance.now() - t1) / 1000;
  }
}

process.stdout.write(JSON.stringify({
  version: libVersion, options, pairs: out, unreadable, groups, seconds,
}));
