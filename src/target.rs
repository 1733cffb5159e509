//! target (to be written).
