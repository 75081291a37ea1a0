//! Ops that build new tensors from pieces: `cat`, `stack`, `flip`, `roll`, `repeat`, `pad`,
//! `tril`, `triu` (composed from copies into views; no kernels of their own).
