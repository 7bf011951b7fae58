//! Loans, borrowers, collateral and their monthly cash flows.
