#!/usr/bin/env python3
"""Every variable the configuration reads is in the README's and docs/configuration.md's tables.

usage: check_config_docs.py <repo root>
The variables are the names passed to read_*(env, "NAME") in gateway/config/config.cpp plus
those read elsewhere with process_lookup (API_DOCS_DIR in gateway/server_main.cpp).
"""
import re
import sys


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    config = open(f"{root}/gateway/config/config.cpp", encoding="utf-8").read()
    names = set(re.findall(r'read_[a-z]+\(\s*env,\s*"([A-Z0-9_]+)"', config))
    server = open(f"{root}/gateway/server_main.cpp", encoding="utf-8").read()
    names |= set(re.findall(r'\)\("([A-Z0-9_]+)"\)', server))
    if len(names) < 10:
        print(f"found only {len(names)} variables; the pattern no longer matches config.cpp")
        return 1
    problems = []
    for doc in ("README.md", "docs/configuration.md"):
        text = open(f"{root}/{doc}", encoding="utf-8").read()
        rows = set(re.findall(r"^\|\s*`([A-Z0-9_]+)`", text, re.M))
        for name in sorted(names - rows):
            problems.append(f"{doc}: no table row for {name}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {len(names)} variables documented in both tables")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
