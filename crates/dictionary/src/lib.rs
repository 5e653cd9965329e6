//! dictionary (scaffold; filled in by its issue).
