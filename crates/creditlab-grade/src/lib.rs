//! Grading: scorecards, PD/LGD/EL, the master scale, Basel capital and validation.
