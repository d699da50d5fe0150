pub mod naaccr;
