"""Rule packs: YAML files loaded into plain rule objects and checked before they run (`rules`), and their
CEL expressions with pack settings and variables (`expressions`). Every problem is located file:line:column.
"""
