"""HTTP routes: each module translates requests into calls on the services and stores."""
