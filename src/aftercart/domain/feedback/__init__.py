"""Pure feedback decisions: what a review says, who may be asked, who is held out."""
