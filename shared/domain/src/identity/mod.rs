//! Identity: users and their passwords, login sessions and refresh rotation, access and challenge tokens,
//! multi-factor authentication, roles and permissions, browser cookies, and sealing secrets at rest. The
//! use cases (register, log in, refresh, MFA, administration) are in [`service`].

pub mod cookies;
pub mod limits;
pub mod mfa;
pub mod password;
pub mod ports;
pub mod rbac;
pub mod sealed;
pub mod service;
pub mod session;
pub mod token;
pub mod user;
