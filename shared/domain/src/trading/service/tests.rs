//! Use-case tests of the order service over in-memory fakes.
