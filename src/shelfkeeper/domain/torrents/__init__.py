"""Torrents without I/O: .torrent files and info hashes, and the download client's view of a torrent."""
