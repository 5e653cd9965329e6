//! ksef-sim (scaffold; filled in by its issue).
