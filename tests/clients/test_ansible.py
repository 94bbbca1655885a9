"""Ansible's azure.azcollection against mi-sim: a playbook with a group, an identity, a VM, a
container instance, a role assignment and a template deployment, read back by the collection's
info modules, as a user runs it (az CLI signed in to mi-sim as its cloud, auth_source: cli,
plus the one-file shim the collection needs; see tests/clients/ansible/shim/sitecustomize.py)."""
import os
import subprocess
from pathlib import Path

from conftest import SUBSCRIPTION, control
from test_az import AZ, sign_in_to_mi_sim

HERE = Path(__file__).resolve().parent
PLAYBOOK = os.environ["ANSIBLE_PLAYBOOK"]


def test_an_ansible_playbook_wires_identities_and_roles_against_mi_sim(tmp_path):
    cfg = tmp_path / "az"
    sign_in_to_mi_sim(cfg)
    env = {
        **os.environ,
        "AZURE_CONFIG_DIR": str(cfg),
        # auth_source: cli runs `az`: the suite's az CLI.
        "PATH": f"{Path(AZ).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(HERE / "ansible" / "shim"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    done = subprocess.run([PLAYBOOK, str(HERE / "ansible" / "site.yml")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "failed=0" in done.stdout
    # The playbook deleted its group at the end, with everything in it.
    groups = control("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version=2021-04-01")["value"]
    assert groups == []
