"""schemathesis against the checked-in OpenAPI document: a bounded number of generated requests
per operation, after a reset, finds no 5xx and no response that contradicts the document."""
import os
import subprocess
import sys
from pathlib import Path

from conftest import HTTP

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_schemathesis_finds_no_server_error_and_no_contradiction():
    st = Path(sys.executable).parent / "st"
    done = subprocess.run(
        [str(st), "run", str(DOCUMENT), "--url", HTTP, "--max-examples", "10", "--workers", "1",
         "--seed", "1", "--no-color",
         # A scenario run takes seconds and follows the clock and settings the fuzzer changes;
         # tests/api/scenarios.rs runs it.
         "--exclude-path", "/simulator/scenarios/{id}/runs",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
