; Candidate holes and the imports that name the runtime helper. Every `...` is then
; checked against the rules in docs/holes.md (subscripts, annotations, sentinel
; defaults, stubs, overloads, Protocol members, ...).

(ellipsis) @ellipsis

; `from lift_holes import hole [as h]`
(import_from_statement
  module_name: (dotted_name) @helper.from
  (#eq? @helper.from "lift_holes"))

; `import lift_holes [as lh]`
(import_statement
  name: (dotted_name) @helper.module
  (#eq? @helper.module "lift_holes"))
(import_statement
  name: (aliased_import
    name: (dotted_name) @helper.aliased_module
    alias: (identifier) @helper.module_alias)
  (#eq? @helper.aliased_module "lift_holes"))
