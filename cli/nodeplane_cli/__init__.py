"""`nodeplane`: the command line of nodeplane's users (today: node operators, `nodeplane operator …`)."""
