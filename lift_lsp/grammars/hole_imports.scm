; Imports of the runtime helper `lift_holes`, to learn how a file spells `hole`.
; Only run on files whose text mentions lift_holes.

; `from lift_holes import hole [as h]`
(import_from_statement
  module_name: (dotted_name) @helper.from
  (#eq? @helper.from "lift_holes"))

; `import lift_holes`
(import_statement
  name: (dotted_name) @helper.module
  (#eq? @helper.module "lift_holes"))

; `import lift_holes as lh`
(import_statement
  name: (aliased_import
    name: (dotted_name) @helper.aliased_module
    alias: (identifier) @helper.module_alias)
  (#eq? @helper.aliased_module "lift_holes"))
