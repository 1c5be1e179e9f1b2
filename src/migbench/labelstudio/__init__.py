"""Label Studio: the labeling config, import files, export parsing and the server client."""
