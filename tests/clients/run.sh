#!/usr/bin/env bash
# Runs the client suite: real Azure SDKs against a running mi-sim over HTTPS.
# Makes (once) the pinned venvs, target/py-venv (SDKs, pytest), target/az-venv (az CLI, whose
# own pins clash with the SDK versions under test) and target/ansible-venv (Ansible and the
# azure.azcollection requirements), then runs pytest.
# Needs MI_SIM_HTTPS (https://localhost:PORT), MI_SIM_HTTP and MI_SIM_CA (the CA PEM) in the
# environment; the Rust test tests/api/clients.rs sets them for a mi-sim it spawned.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${MI_SIM_VENV:-$root/target/py-venv}
if ! cmp -s "$here/requirements.txt" "$venv/.requirements" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/.requirements"
fi
azvenv=${MI_SIM_AZ_VENV:-$root/target/az-venv}
if ! cmp -s "$here/az-requirements.txt" "$azvenv/.requirements" 2>/dev/null; then
  rm -rf "$azvenv"
  python3 -m venv "$azvenv"
  "$azvenv/bin/pip" install --quiet --disable-pip-version-check -r "$here/az-requirements.txt"
  cp "$here/az-requirements.txt" "$azvenv/.requirements"
fi
export AZ_CLI=$azvenv/bin/az
# Ansible with azure.azcollection, in a venv of its own: the collection pins its own Azure SDKs
# (its requirements.txt, shipped inside the pinned ansible release).
ansvenv=${MI_SIM_ANSIBLE_VENV:-$root/target/ansible-venv}
if ! cmp -s "$here/ansible-requirements.txt" "$ansvenv/.requirements" 2>/dev/null; then
  rm -rf "$ansvenv"
  python3 -m venv "$ansvenv"
  "$ansvenv/bin/pip" install --quiet --disable-pip-version-check -r "$here/ansible-requirements.txt"
  "$ansvenv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$("$ansvenv/bin/python" -c 'import ansible_collections.azure.azcollection as c; print(list(c.__path__)[0] + "/requirements.txt")')"
  cp "$here/ansible-requirements.txt" "$ansvenv/.requirements"
fi
export ANSIBLE_PLAYBOOK=$ansvenv/bin/ansible-playbook
# The browser test drives Debian's Chromium; install it when missing and we may (as CI does).
if ! command -v chromium >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi
# Trust mi-sim's CA (the SDKs use requests, which reads this variable).
export REQUESTS_CA_BUNDLE=$MI_SIM_CA SSL_CERT_FILE=$MI_SIM_CA
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
