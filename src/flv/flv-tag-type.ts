// FLV tag types: the TagType field of the FLV tag header (Adobe FLV spec v10.1, Annex E.4.1).
export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;
export type FlvTagType = (typeof FlvTagType)[keyof typeof FlvTagType];
