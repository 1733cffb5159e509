//! probe (to be written).
