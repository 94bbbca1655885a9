# Sourced by the benchmarks: seed_group BASE N fills the group at BASE (its ARM URL) with N
# resources: 40% user-assigned identities, 30% VMs with a system identity and a user-assigned
# reference, 30% container groups with a system identity. Prints the status codes it got.
put() { curl -s -o /dev/null -w '%{http_code}\n' -XPUT "$1" -H 'content-type: application/json' -d "$2"; }
export -f put
seed_group() {
  local base=$1 n=$2
  local ids=$((n * 4 / 10)) vms=$((n * 3 / 10))
  local cgs=$((n - ids - vms))
  local uai="${base#http*://*/}"; uai="/$uai/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-1"
  curl -s -o /dev/null -XPUT "$base?api-version=2021-04-01" -d '{"location":"westeurope"}'
  seq 1 $ids | xargs -P 16 -I{} bash -c "put '$base/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{}?api-version=2023-01-31' '{\"location\":\"westeurope\"}'" | sort | uniq -c
  seq 1 $vms | xargs -P 16 -I{} bash -c "put '$base/providers/Microsoft.Compute/virtualMachines/vm-{}?api-version=2026-04-01' '{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned, UserAssigned\",\"userAssignedIdentities\":{\"$uai\":{}}},\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_B1s\"}}}'" | sort | uniq -c
  seq 1 $cgs | xargs -P 16 -I{} bash -c "put '$base/providers/Microsoft.ContainerInstance/containerGroups/cg-{}?api-version=2023-05-01' '{\"location\":\"westeurope\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"osType\":\"Linux\",\"containers\":[{\"name\":\"c\",\"properties\":{\"image\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":1,\"memoryInGB\":1}}}}]}}'" | sort | uniq -c
}
