"""Run the suite with the wall clock moved (issue #15): see ``sitecustomize``."""
