"""The command line: parses what the user asked, calls the application, renders the answer."""
