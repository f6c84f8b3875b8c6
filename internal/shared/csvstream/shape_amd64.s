#include "textflag.h"

// BLOCK checks the bytes at SI+1 to SI+32, ORs the bad ones into Y9 and
// leaves the commas' mask in AX.
#define BLOCK \
	VMOVDQU 0(SI), Y1 \
	VMOVDQU 1(SI), Y0 \
	VMOVDQU 2(SI), Y2 \
	VMOVDQU 3(SI), Y3 \
	VPCMPEQB Y10, Y0, Y0 /* commas at i */ \
	VPCMPEQB Y11, Y1, Y1 /* a quote before */ \
	VPCMPEQB Y11, Y2, Y2 /* a quote after */ \
	VPCMPEQB Y10, Y3, Y3 /* a comma two on */ \
	VPAND Y1, Y2, Y1     /* quotes on both sides */ \
	VPANDN Y0, Y1, Y4    /* commas without them */ \
	VPAND Y0, Y3, Y3     /* commas with a comma two on */ \
	VPOR Y4, Y9, Y9 \
	VPOR Y3, Y9, Y9 \
	VPMOVMSKB Y0, AX

// func quotedShapeAVX2(line []byte) (commas int, bad bool)
//
// quotedShape's check of the bytes at 1 to len-3, thirty-two at a time;
// len is at least 35. A block of the bytes at i takes four loads of 32
// bytes: at i-1 (left neighbours), i, i+1 (right neighbours) and i+2. A
// byte at i that is a comma is bad unless both neighbours are quotes, and
// when the byte two on is a comma too; the bad bytes are ORed into Y9, the
// commas counted. The last block ends at len-3 and overlaps the one
// before: its commas already counted are shifted out of its mask.
TEXT ·quotedShapeAVX2(SB), NOSPLIT, $0-33
	MOVQ line_base+0(FP), SI
	MOVQ line_len+8(FP), BX
	LEAQ -35(SI)(BX*1), R8 // the last block's base: its bytes at 1 are at len-34
	MOVQ $0x2c, AX
	MOVQ AX, X10
	VPBROADCASTB X10, Y10  // commas
	MOVQ $0x22, AX
	MOVQ AX, X11
	VPBROADCASTB X11, Y11  // quotes
	VPXOR Y9, Y9, Y9
	XORQ DX, DX

blocks:
	CMPQ SI, R8
	JAE  last
	BLOCK
	POPCNTL AX, AX
	ADDQ AX, DX
	ADDQ $32, SI
	JMP  blocks

last:
	MOVQ SI, CX
	SUBQ R8, CX            // bytes of the last block already seen, 0 to 31
	MOVQ R8, SI
	BLOCK
	SHRL CX, AX
	POPCNTL AX, AX
	ADDQ AX, DX

	VPTEST Y9, Y9
	SETNE  bad+32(FP)
	MOVQ   DX, commas+24(FP)
	VZEROUPPER
	RET
