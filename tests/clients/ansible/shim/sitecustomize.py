"""The one user-side change Ansible's azure.azcollection (3.12.0) needs to reach mi-sim.

With `auth_source: cli` the collection looks az's active cloud up among the clouds
azure-cli-core defines in code (AzureCloud, AzureChinaCloud, ...), so a cloud registered with
`az cloud register` is never found ("Obtain the active cloud failed"); and a `cloud_environment`
URL calls a function azure-cli-core no longer has (ansible-collections/azure#2157). This names
az's active cloud beside the built-in ones. Put this folder on PYTHONPATH when running
ansible-playbook; nothing else changes.
"""
try:
    import azure.cli.core.cloud as _cloud

    _cloud.AZ_ACTIVE_CLOUD = _cloud.get_active_cloud()
except Exception:  # not an Azure module's process, or az is not set up: change nothing
    pass
