"""Validates a JSON Feed on standard input against tests/fixtures/jsonfeed-1.1.schema.json,
checking formats (URIs, date-times) too. Prints the problems, one a line; exits 1 if any."""
import json
import pathlib
import sys

import jsonschema

schema = json.loads((pathlib.Path(__file__).parent / "fixtures" / "jsonfeed-1.1.schema.json").read_text())
feed = json.loads(sys.stdin.buffer.read())
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(feed)]
print("\n".join(problems))
sys.exit(1 if problems else 0)
