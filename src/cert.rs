//! cert (to be written).
