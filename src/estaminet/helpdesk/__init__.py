"""L'atelier's help desk: asking for help, volunteers who take requests, the private help corner."""
