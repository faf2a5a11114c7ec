"""The ``aftercart`` command's subcommands (Django management commands): the top of the house.

Every command lives here, above the apps it drives, so no app imports a command and the floor
(:mod:`aftercart.kernel`) never imports the apps.
"""
