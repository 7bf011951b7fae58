//! The correlated-default core and contagion.
