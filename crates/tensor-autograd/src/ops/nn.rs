//! Neural-network ops with their own backward: convolution and pooling (added with
//! tensor-core's conv and pool kernels).
