"""Stand-ins for the two edx-platform apps the init job writes to (edx-platform itself cannot
be installed here). Their models copy edx-platform's fields and KEY_FIELDS."""
