//! Virtual machines and container groups: the two kinds of resource that run code and so carry
//! managed identities, their ARM ids, and what their power actions do.
use super::SubscriptionId;

/// The kinds of compute resource mi-sim serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeKind {
    VirtualMachine,
    ContainerGroup,
}

impl ComputeKind {
    /// The ARM resource type, as stored and as shown.
    pub fn resource_type(self) -> &'static str {
        match self {
            Self::VirtualMachine => "Microsoft.Compute/virtualMachines",
            Self::ContainerGroup => "Microsoft.ContainerInstance/containerGroups",
        }
    }

    /// The provider namespace, for operation URLs.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::VirtualMachine => "Microsoft.Compute",
            Self::ContainerGroup => "Microsoft.ContainerInstance",
        }
    }

    /// The power state of a new resource: both start running.
    pub fn initial_power_state(self) -> &'static str {
        match self {
            Self::VirtualMachine => PowerState::Running.as_str(),
            Self::ContainerGroup => "Running",
        }
    }

    /// ARM's id of a resource of this kind.
    pub fn resource_id(self, sub: SubscriptionId, group: &str, name: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{group}/providers/{}/{name}",
            self.resource_type()
        )
    }
}

/// A VM's power state (arm-contract.md B.1.5, STATES).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    Running,
    Stopped,
    Deallocated,
}

impl PowerState {
    pub fn parse(stored: &str) -> Self {
        match stored {
            "stopped" => Self::Stopped,
            "deallocated" => Self::Deallocated,
            _ => Self::Running,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Deallocated => "deallocated",
        }
    }

    /// The instance view status: (`PowerState/...` code, display status).
    pub fn status(self) -> (&'static str, &'static str) {
        match self {
            Self::Running => ("PowerState/running", "VM running"),
            Self::Stopped => ("PowerState/stopped", "VM stopped"),
            Self::Deallocated => ("PowerState/deallocated", "VM deallocated"),
        }
    }
}

/// A power action on a VM or container group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Start,
    PowerOff,
    Deallocate,
    Restart,
    Stop,
}

impl PowerAction {
    /// The VM power state an action leaves behind.
    pub fn vm_outcome(self) -> PowerState {
        match self {
            Self::Start | Self::Restart => PowerState::Running,
            Self::PowerOff | Self::Stop => PowerState::Stopped,
            Self::Deallocate => PowerState::Deallocated,
        }
    }

    /// The container group state an action leaves behind.
    pub fn container_group_outcome(self) -> &'static str {
        match self {
            Self::Start | Self::Restart => "Running",
            Self::PowerOff | Self::Stop | Self::Deallocate => "Stopped",
        }
    }

    /// The name of the operation, as recorded for its poller.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::PowerOff => "powerOff",
            Self::Deallocate => "deallocate",
            Self::Restart => "restart",
            Self::Stop => "stop",
        }
    }
}
