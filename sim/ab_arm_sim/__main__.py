import os
import sys

from .node import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
# ROS objects are already destroyed by main(); skipping the interpreter's own
# teardown (hundreds of ms unloading DDS, MuJoCo and numpy) keeps the exit
# after SIGINT/SIGTERM well inside a second on a busy machine.
os._exit(code)
