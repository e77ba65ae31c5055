"""Route modules: pages_* render HTML for people, api serves JSON; all are thin views over storage."""
