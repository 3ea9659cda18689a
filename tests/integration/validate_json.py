#!/usr/bin/python3
"""Validates JSON documents against one of the project's JSON Schemas (2020-12).

usage: validate_json.py SCHEMA.json DOC.json [DOC.json ...]
Exit 0 when every document is valid; prints each problem and exits 1 otherwise.
"""
import json
import pathlib
import sys

import jsonschema

schema_path = pathlib.Path(sys.argv[1]).resolve()
store = {}
for p in schema_path.parent.glob("*.schema.json"):
    doc = json.loads(p.read_text())
    store[doc["$id"]] = doc
    store[p.name] = doc
schema = json.loads(schema_path.read_text())
jsonschema.Draft202012Validator.check_schema(schema)
resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
validator = jsonschema.Draft202012Validator(schema, resolver=resolver,
                                            format_checker=jsonschema.FormatChecker())
bad = 0
for doc_path in sys.argv[2:]:
    doc = json.loads(pathlib.Path(doc_path).read_text())
    for err in validator.iter_errors(doc):
        bad += 1
        print(f"{doc_path}: {'/'.join(map(str, err.absolute_path)) or '(root)'}: {err.message}")
sys.exit(1 if bad else 0)
