#!/usr/bin/env python3
"""Turns tests/vectors/*.json into a flat fixture the C runner reads without a JSON parser.

Every field is `<tag> <byte length>\\n<bytes>\\n`. Per vector: V name; then either S (inline rule
text, compiled as `inline.thr` with thr_ruleset_compile) or N/T pairs (file name, text; compiled
with thr_ruleset_compile_files, names as the Rust runner gives them); X facts text; then D (the
expected decision, serialised compactly in the order written) or E (expected error codes, one a
line). The facts are serialised exactly as the Rust runner does (compact, keys in order).
Usage: gen_fixture.py REPO_ROOT OUT_FILE
"""
import json
import os
import sys


def field(out, tag, text):
    data = text.encode("utf-8")
    out.write(b"%s %d\n" % (tag.encode(), len(data)))
    out.write(data)
    out.write(b"\n")


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def text(field):
    """A string, or generated text (prefix, `repeat` `times` times with {n} numbered, suffix)."""
    if isinstance(field, str):
        return field
    unit = field.get("repeat", "")
    body = "".join(unit.replace("{n}", str(n)) for n in range(field["times"]))
    return field.get("prefix", "") + body + field.get("suffix", "")


def main():
    root, out_path = sys.argv[1], sys.argv[2]
    vdir = os.path.join(root, "tests", "vectors")
    count = 0
    with open(out_path, "wb") as out:
        for fname in sorted(f for f in os.listdir(vdir) if f.endswith(".json")):
            with open(os.path.join(vdir, fname), encoding="utf-8") as f:
                doc = json.load(f)
            for v in doc["vectors"]:
                field(out, "V", f"{fname} / {v['name']}")
                if "source" in v:
                    field(out, "S", text(v["source"]))
                else:
                    rel = v["rules"]
                    path = os.path.join(root, rel)
                    if os.path.isdir(path):
                        names = sorted(n for n in os.listdir(path) if n.endswith(".thr"))
                        files = [(os.path.join(rel, n), os.path.join(path, n)) for n in names]
                    else:
                        files = [(rel, path)]
                    for name, p in files:
                        with open(p, encoding="utf-8") as f:
                            field(out, "N", name)
                            field(out, "T", f.read())
                facts = text(v["factsText"]) if "factsText" in v else compact(v.get("facts"))
                field(out, "X", facts)
                if "request" in v:
                    field(out, "Q", compact(v["request"]))
                expect = v["expect"]
                if "decision" in expect:
                    field(out, "D", compact(expect["decision"]))
                else:
                    field(out, "E", "".join(c + "\n" for c in expect["errorCodes"]))
                count += 1
    print(f"fixture: {count} vectors")


if __name__ == "__main__":
    main()
