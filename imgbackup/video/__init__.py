"""Videos: what kind of file it is, what it says of itself, its poster frame and a copy browsers
play. Pure functions, no ORM, no HTTP, and no Django: FFmpeg (through PyAV) runs only in a child
process with time and memory limits (video/sandbox.py), because a hostile file can make a
demuxer allocate without bound or a decoder spin."""
