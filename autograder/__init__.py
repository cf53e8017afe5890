"""autograder: instructor-only references, known mistakes and hidden-test helpers for the course."""
