//! One integration-test binary (one link on 2 cores); each module is a topic.
mod arm_conventions;
mod cli;
mod clients;
mod container_groups;
mod coverage;
mod entra;
mod generic_resources;
mod helpers;
mod identities;
mod imds;
mod persistence;
mod reliability;
mod resource_groups;
mod rules_table;
mod simulator;
mod subscriptions;
mod vms;
