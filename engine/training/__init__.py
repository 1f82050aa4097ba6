"""Training of the embedded default generator: procedural landscapes, discriminator, GAN loop, SWD metric."""
