//! ksef-api (scaffold; filled in by its issue).
