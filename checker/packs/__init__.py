"""Rule packs: YAML files loaded into plain rule objects and checked before they run (`rules`), their CEL
expressions read from syntax trees and compiled with the pack's settings and variables (`expressions`: the
compiled variables of a pack), and the types those expressions are checked against (`environment`).
Every problem is located file:line:column, where its author wrote it.
"""
