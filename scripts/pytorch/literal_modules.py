"""Writes a script's printed Rust literals as a directory of modules: `section(name, what)` sends
what the script prints next to OUT/name.rs (a `//!` header naming the test and the script), and
`write_mod()` ends with OUT/mod.rs declaring and re-exporting every section. Shared by
functional_literals.py and nn_layers_more.py.
"""
import os
import sys
import textwrap


class LiteralModules:
    def __init__(self, out, test, script, noun, allow_lints=False):
        """`out`: the directory; `test`: the test file the literals serve (tests/x.rs);
        `script`: this script's path; `noun`: "values" or "outputs"; `allow_lints`: add clippy's
        allowances for long float literals to each section."""
        self.out, self.test, self.script, self.noun, self.allow_lints = out, test, script, noun, allow_lints
        self.files = []

    def section(self, name, what):
        """Sends what follows to OUT/name.rs, a module of the literals of `what`."""
        if sys.stdout is not sys.__stdout__:
            sys.stdout.close()
        sys.stdout = open(os.path.join(self.out, name + ".rs"), "w")
        self.files.append(name)
        text = (f"PyTorch's {self.noun} of {what} for {self.test}, printed by "
                f"{self.script} (PyTorch 2.15, CPU); do not edit by hand.")
        for line in textwrap.wrap(text, 96):
            print("//! " + line)
        if self.allow_lints:
            print("#![allow(clippy::approx_constant, clippy::excessive_precision, clippy::unreadable_literal)]")
        print()

    def write_mod(self):
        sys.stdout.close()
        sys.stdout = sys.__stdout__
        with open(os.path.join(self.out, "mod.rs"), "w") as f:
            f.write(f"//! PyTorch's {self.noun} for {self.test}, printed by {self.script}\n")
            f.write("//! (PyTorch 2.15, CPU), one file per section of the script; do not edit by hand.\n\n")
            f.write("".join(f"mod {m};\n" for m in self.files) + "\n"
                    + "".join(f"pub use {m}::*;\n" for m in self.files))
