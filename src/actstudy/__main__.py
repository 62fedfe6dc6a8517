import sys

from actstudy.cli import main

sys.exit(main())
