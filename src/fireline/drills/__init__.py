"""The drill programme: which exercises are due (from config), which were done, and what came
of them. Drill incidents themselves are ordinary incidents declared `--drill`."""
