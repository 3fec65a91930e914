"""The soirée: an evening of games, its running order, its scoreboards (docs/games/soiree.md)."""
