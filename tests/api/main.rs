//! One integration-test binary (one link on 2 cores); each module is a topic.
mod arm_conventions;
mod clients;
mod container_groups;
mod coverage;
mod generic_resources;
mod helpers;
mod identities;
mod persistence;
mod reliability;
mod resource_groups;
mod rules_table;
mod simulator;
mod subscriptions;
mod tokens;
mod vms;
